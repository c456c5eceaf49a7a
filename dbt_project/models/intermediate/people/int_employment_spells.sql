-- One row per HRIS worker, current or former: the current department and the days employed,
-- from hire_date through termination_date (the last day worked), open-ended while employed.
with

workers as (
    select * from {{ ref('stg_hris__workers') }}
)

select
    employee_id,
    department,
    hire_date,
    termination_date,
    termination_type,
    coalesce(termination_date, cast('9999-12-31' as date)) as employed_through
from workers
