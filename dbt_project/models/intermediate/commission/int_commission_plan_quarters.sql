-- One row per employee and fiscal quarter (up to the as-of quarter) with a plan assignment
-- overlapping the quarter: the plan that applies, its target incentive, cap, clawback window,
-- tier method, the assignment's draw, the quarter's quota and the base rate.
with

assignments as (
    select * from {{ ref('stg_sales_ops__plan_assignments') }}
),

plans as (
    select * from {{ ref('stg_sales_ops__comp_plans') }}
),

quotas as (
    select * from {{ ref('stg_sales_ops__quotas') }}
),

reps as (
    select * from {{ ref('int_reps') }}
),

-- 400 quarters (100 years) back from the as-of quarter: more than any assignment spans.
quarters as (
    {{ fiscal_quarters_up_to_as_of(400) }}
),

overlapping_assignments as (
    select
        assignments.employee_id,
        quarters.quarter_start,
        quarters.quarter_end,
        assignments.plan_id,
        assignments.quarterly_target_incentive,
        assignments.quarterly_draw_amount,
        assignments.draw_type,
        row_number() over (
            partition by assignments.employee_id, quarters.quarter_start
            order by
                case
                    when
                        assignments.effective_end is null
                        or assignments.effective_end >= quarters.quarter_end
                        then 0
                    else 1
                end asc,
                assignments.effective_start desc,
                assignments.plan_id asc
        ) as assignment_rank
    from assignments
    inner join quarters
        on
            assignments.effective_start <= quarters.quarter_end
            and (
                assignments.effective_end is null
                or assignments.effective_end >= quarters.quarter_start
            )
),

quarterly_quotas as (
    select
        employee_id,
        {{ fiscal_quarter_start('month_start') }} as quarter_start,
        sum(quota_amount) as quota_amount
    from quotas
    group by 1, 2
),

employee_reps as (
    select
        employee_id,
        rep_id,
        row_number() over (
            partition by employee_id
            order by is_active desc nulls last, rep_id asc
        ) as rep_rank
    from reps
    where employee_id is not null
)

select
    overlapping_assignments.employee_id,
    employee_reps.rep_id,
    overlapping_assignments.quarter_start,
    overlapping_assignments.quarter_end,
    overlapping_assignments.plan_id,
    plans.plan_name,
    cast(overlapping_assignments.quarterly_target_incentive as decimal(18, 2))
        as target_incentive,
    cast(plans.cap_multiple as double) as cap_multiple,
    cast(
        plans.cap_multiple * overlapping_assignments.quarterly_target_incentive
        as decimal(18, 2)
    ) as cap_amount,
    cast(plans.clawback_days as bigint) as clawback_days,
    plans.tier_method,
    cast(overlapping_assignments.quarterly_draw_amount as decimal(18, 2)) as quarterly_draw_amount,
    overlapping_assignments.draw_type,
    cast(quarterly_quotas.quota_amount as decimal(18, 2)) as quota_amount,
    {{ safe_divide(
        'overlapping_assignments.quarterly_target_incentive',
        'quarterly_quotas.quota_amount',
    ) }} as base_rate
from overlapping_assignments
left join plans
    on overlapping_assignments.plan_id = plans.plan_id
left join quarterly_quotas
    on
        overlapping_assignments.employee_id = quarterly_quotas.employee_id
        and overlapping_assignments.quarter_start = quarterly_quotas.quarter_start
left join employee_reps
    on
        overlapping_assignments.employee_id = employee_reps.employee_id
        and employee_reps.rep_rank = 1
where overlapping_assignments.assignment_rank = 1
