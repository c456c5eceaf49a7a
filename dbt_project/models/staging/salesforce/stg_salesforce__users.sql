with

source as (

    select * from {{ source('salesforce', 'user') }}

),

deduplicated as (

    {{ salesforce_latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        "Id" as user_id,
        "ManagerId" as manager_id,
        "UserRoleId" as user_role_id,
        "EmployeeNumber" as employee_number,

        ---------- text
        "Name" as user_name,
        "FirstName" as first_name,
        "LastName" as last_name,
        "Email" as email,
        "Title" as title,
        "Department" as department,

        ---------- booleans
        "IsActive" as is_active,

        ---------- timestamps
        "CreatedDate" as created_at,
        "SystemModstamp" as system_modstamp_at,

        ---------- lineage
        _source_file,
        _source_line

    from deduplicated

)

select * from renamed
