with

source as (
    select * from {{ source('salesforce', 'user') }}
),

current_versions as (
    {{ salesforce_current_version('source') }}
),

renamed as (
    select
        ---------- ids
        {{ adapter.quote('Id') }} as user_id,
        {{ adapter.quote('ManagerId') }} as manager_id,
        {{ adapter.quote('UserRoleId') }} as user_role_id,
        {{ adapter.quote('EmployeeNumber') }} as employee_number,

        ---------- text
        {{ adapter.quote('Name') }} as user_name,
        {{ adapter.quote('FirstName') }} as first_name,
        {{ adapter.quote('LastName') }} as last_name,
        {{ adapter.quote('Email') }} as email,
        {{ adapter.quote('Title') }} as title,
        {{ adapter.quote('Department') }} as department,

        ---------- booleans
        {{ adapter.quote('IsActive') }} as is_active,

        ---------- timestamps
        {{ adapter.quote('CreatedDate') }} as created_at,
        {{ adapter.quote('SystemModstamp') }} as system_modstamp_at,

        ---------- lineage
        _source_file,
        _source_line
    from current_versions
)

select * from renamed
