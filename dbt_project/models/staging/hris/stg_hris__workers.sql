with

source as (

    select * from {{ source('hris', 'workers') }}

),

deduplicated as (

    {{
        latest_version(
            'source',
            partition_by='employee_id',
            order_by='_source_file desc, _source_line desc'
        )
    }}

),

renamed as (

    select
        ---------- ids
        employee_id,
        manager_employee_id,

        ---------- text
        first_name,
        last_name,
        work_email,
        department,
        job_title,
        location,
        termination_type,
        employment_status,

        ---------- dates
        hire_date,
        termination_date,

        ---------- lineage
        _source_file,
        _source_line

    from deduplicated

)

select * from renamed
