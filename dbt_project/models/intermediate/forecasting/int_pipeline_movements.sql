-- Where each opportunity of a quarter's pipeline went (contract: mart_pipeline_waterfall), one
-- row per quarter of the history window and opportunity counted in it: its state S at the end
-- of the day before the quarter and E at the end of period_end_date (the quarter's last day,
-- or the as-of date while the quarter runs), how it entered (opening, created, pulled in) and
-- how it left (pushed out, won, lost, or still open at closing). "In the quarter" means the
-- state's close date is in it; a NULL amount counts as 0.
with

versions as (
    select * from {{ ref('int_opportunity_state_versions') }}
),

quarters as (
    select
        quarter_start,
        quarter_end,
        cast({{ dbt.dateadd('day', -1, 'quarter_start') }} as date) as start_state_date,
        least(quarter_end, {{ as_of_date() }}) as period_end_date
    from ({{ fiscal_quarters_up_to_as_of(var('history_quarters') | int + 1) }}) as window_quarters
),

state_days as (
    select start_state_date as state_date from quarters
    union
    select period_end_date as state_date from quarters
),

states as (
    {{ opportunity_states_on('state_days', 'versions') }}
),

compared as (
    select
        quarters.quarter_start,
        quarters.period_end_date,
        end_states.opportunity_id,
        end_states.owner_id,
        start_states.opportunity_id is not null as exists_at_start,
        coalesce(start_states.is_closed, false) as is_closed_at_start,
        coalesce(
            start_states.close_date between quarters.quarter_start and quarters.quarter_end,
            false
        ) as is_in_quarter_at_start,
        coalesce(start_states.amount, 0) as start_amount,
        coalesce(
            end_states.close_date between quarters.quarter_start and quarters.quarter_end,
            false
        ) as is_in_quarter_at_end,
        coalesce(end_states.is_closed, false) as is_closed_at_end,
        coalesce(end_states.is_won, false) as is_won_at_end,
        coalesce(end_states.amount, 0) as end_amount
    from quarters
    inner join states as end_states
        on quarters.period_end_date = end_states.state_date
    left join states as start_states
        on
            quarters.start_state_date = start_states.state_date
            and end_states.opportunity_id = start_states.opportunity_id
),

entries as (
    select
        *,
        case
            when exists_at_start and not is_closed_at_start and is_in_quarter_at_start
                then 'opening'
            when is_in_quarter_at_end and not exists_at_start then 'created'
            when is_in_quarter_at_end and not is_closed_at_start then 'pulled_in'
        end as entry
    from compared
)

select
    quarter_start,
    period_end_date,
    opportunity_id,
    owner_id,
    entry,
    case
        when entry = 'opening' and not is_in_quarter_at_end then 'pushed_out'
        when not is_closed_at_end then 'closing'
        when is_won_at_end then 'won'
        else 'lost'
    end as outcome,
    start_amount,
    end_amount,
    case
        when entry = 'opening' and is_in_quarter_at_end then end_amount - start_amount
        else 0
    end as amount_change_amount
from entries
where entry is not null
