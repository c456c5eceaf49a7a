-- One row per HRIS department × fiscal quarter of the turnover window. Employed on day d:
-- hire_date <= d and (termination_date is NULL or termination_date >= d).
with

quarters as (
    select * from {{ ref('int_fiscal_quarters') }}
),

spells as (
    select * from {{ ref('int_employment_spells') }}
),

departments as (
    select distinct department
    from spells
    where department is not null
),

department_quarters as (
    select
        departments.department,
        quarters.quarter_start,
        quarters.quarter_end
    from departments
    cross join quarters
),

counted as (
    select
        department_quarters.department,
        department_quarters.quarter_start,
        count(
            case
                when
                    department_quarters.quarter_start
                    between spells.hire_date and spells.employed_through
                    then spells.employee_id
            end
        ) as headcount_start,
        count(
            case
                when
                    department_quarters.quarter_end
                    between spells.hire_date and spells.employed_through
                    then spells.employee_id
            end
        ) as headcount_end,
        count(
            case
                when
                    spells.termination_date
                    between department_quarters.quarter_start and department_quarters.quarter_end
                    then spells.employee_id
            end
        ) as separations,
        count(
            case
                when
                    spells.termination_date
                    between department_quarters.quarter_start and department_quarters.quarter_end
                    and spells.termination_type = 'Voluntary'
                    then spells.employee_id
            end
        ) as voluntary_separations
    from department_quarters
    left join spells
        on department_quarters.department = spells.department
    group by department_quarters.department, department_quarters.quarter_start
),

averaged as (
    select
        *,
        cast(headcount_start + headcount_end as double) / 2 as avg_headcount
    from counted
),

rated as (
    select
        *,
        {{ safe_divide('separations', 'avg_headcount') }} as turnover_rate
    from averaged
)

select
    department,
    quarter_start,
    headcount_start,
    headcount_end,
    separations,
    voluntary_separations,
    avg_headcount,
    turnover_rate,
    turnover_rate * 4 as annualized_turnover_rate
from rated
