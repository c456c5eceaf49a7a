{#-
    Generic data-quality test on mart_commission_statements: names each employee and quarter
    with a plan but no quota (NULL or 0), whose base rate and attainment are NULL and whose
    commission is 0.
-#}
{% test commission_quota_present(model) %}

select
    employee_id,
    quarter_start,
    plan_id,
    quota_amount
from {{ model }}
where quota_amount is null or quota_amount = 0

{% endtest %}
