with

reps as (
    select * from {{ ref('int_reps') }}
)

select
    rep_id,
    employee_id,
    rep_name,
    email,
    title,
    department,
    manager_rep_id,
    hire_date,
    termination_date,
    is_active
from reps
