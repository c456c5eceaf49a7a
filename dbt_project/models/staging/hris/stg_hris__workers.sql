with

source as (
    select * from {{ source('hris', 'workers') }}
),

current_versions as (
    {{ current_version('source', key='employee_id') }}
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
    from current_versions
)

select * from renamed
