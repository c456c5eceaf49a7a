{#- The HRIS reporting lines, all levels: who is under whom. Unrolled self-joins (no recursive
    CTE, so every target builds it): reporting_max_depth levels, and a test fails when a chain
    is longer. -#}
{%- set max_depth = var('reporting_max_depth') -%}

with

workers as (
    select
        employee_id,
        manager_employee_id
    from {{ ref('stg_hris__workers') }}
),

level_1 as (
    select
        employee_id,
        manager_employee_id,
        1 as reporting_level
    from workers
    where manager_employee_id is not null
),

{% for level in range(2, max_depth + 1) %}
    level_{{ level }} as (
        select
            below.employee_id,
            above.manager_employee_id,
            {{ level }} as reporting_level
        from level_{{ level - 1 }} as below
        inner join workers as above
            on below.manager_employee_id = above.employee_id
        where above.manager_employee_id is not null
    ),
{% endfor %}

reporting_lines as (
    select * from level_1
    {% for level in range(2, max_depth + 1) %}
        union all
        select * from level_{{ level }}
    {% endfor %}
),

-- A cycle in the HRIS data (A manages B manages A) reaches the same pair again: keep the
-- shortest line, and never a worker as their own report.
shortest as (
    select
        manager_employee_id,
        employee_id,
        min(reporting_level) as reporting_level
    from reporting_lines
    where manager_employee_id != employee_id
    group by manager_employee_id, employee_id
)

select
    manager_employee_id,
    employee_id,
    cast(reporting_level as integer) as reporting_level
from shortest
