{#-
    Generic test on fct_commission_lines: every line's employee and quarter has a statement in
    `statements`. A clawback line can lack one when the employee has no plan in the quarter of
    the loss (e.g. left the company): its amount is deducted from no payout.
-#}
{% test commission_lines_have_statements(model, statements) %}

with

lines as (
    select * from {{ model }}
),

statements as (
    select * from {{ statements }}
)

select
    lines.employee_id,
    lines.quarter_start,
    lines.opportunity_id,
    lines.line_type,
    lines.commission_amount
from lines
left join statements
    on
        lines.employee_id = statements.employee_id
        and lines.quarter_start = statements.quarter_start
where statements.employee_id is null

{% endtest %}
