-- One row per Salesforce user, enriched with its HRIS worker record (EmployeeNumber = employee_id).
with

users as (
    select * from {{ ref('stg_salesforce__users') }}
),

workers as (
    select * from {{ ref('stg_hris__workers') }}
)

select
    users.user_id as rep_id,
    users.employee_number as employee_id,
    users.user_name as rep_name,
    users.email,
    users.title,
    coalesce(workers.department, users.department) as department,
    users.manager_id as manager_rep_id,
    workers.hire_date,
    workers.termination_date,
    users.is_active
from users
left join workers
    on users.employee_number = workers.employee_id
