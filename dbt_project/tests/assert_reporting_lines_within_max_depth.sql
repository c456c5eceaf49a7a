-- dim_manager_reports unrolls reporting_max_depth levels of the HRIS manager chain: a line
-- that long whose top manager still has a manager was cut short (raise the var).
select
    reporting_lines.employee_id,
    reporting_lines.manager_employee_id,
    workers.manager_employee_id as next_manager_employee_id
from {{ ref('dim_manager_reports') }} as reporting_lines
inner join {{ ref('stg_hris__workers') }} as workers
    on reporting_lines.manager_employee_id = workers.employee_id
where
    reporting_lines.reporting_level = {{ var('reporting_max_depth') }}
    and workers.manager_employee_id is not null
