-- Every state a live opportunity is in at the end of a day, with the days it holds
-- [valid_from_date, valid_to_date), by the contract's rule "Opportunity state at the end of
-- day d": the current row from the day of its SystemModstamp on; before that, the last history
-- row written by the end of the day; before the first history row, the current row again.
-- A day's state is the one version whose range holds it (macro opportunity_states_on), so any
-- number of days is one range join.
with

opportunities as (
    select * from {{ ref('int_opportunities') }}
),

history as (
    select * from {{ ref('int_opportunity_history') }}
),

stages as (
    select * from {{ ref('stg_salesforce__opportunity_stages') }}
),

opportunity_days as (
    select
        opportunity_id,
        owner_id,
        created_at,
        created_date,
        cast(system_modstamp_at as date) as modstamp_date
    from opportunities
),

-- The state written by the end of a day is the day's last history row (by CreatedDate, Id).
ranked_history as (
    select
        history.opportunity_history_id,
        history.opportunity_id,
        cast(history.created_at as date) as history_date,
        history.stage_name,
        history.amount,
        history.probability,
        history.close_date,
        history.forecast_category,
        history.is_stage_defined,
        history.is_closed_stage,
        history.is_won_stage,
        row_number() over (
            partition by history.opportunity_id, cast(history.created_at as date)
            order by history.created_at desc, history.opportunity_history_id desc
        ) as rank_in_day
    from history
),

history_days as (
    select
        *,
        lead(history_date) over (
            partition by opportunity_id order by history_date
        ) as next_history_date,
        min(history_date) over (partition by opportunity_id) as first_history_date
    from ranked_history
    where rank_in_day = 1
),

-- A history row holds from its day (not before the opportunity exists) until the next history
-- day or the current row's modstamp day, whichever comes first.
history_versions as (
    select
        history_days.opportunity_id,
        true as is_from_history,
        history_days.opportunity_history_id,
        greatest(history_days.history_date, opportunity_days.created_date) as valid_from_date,
        case
            when history_days.next_history_date is null then opportunity_days.modstamp_date
            when opportunity_days.modstamp_date is null then history_days.next_history_date
            else least(history_days.next_history_date, opportunity_days.modstamp_date)
        end as valid_to_date,
        history_days.stage_name,
        history_days.amount,
        history_days.probability,
        history_days.close_date,
        history_days.forecast_category,
        history_days.is_stage_defined,
        history_days.is_closed_stage,
        history_days.is_won_stage
    from history_days
    inner join opportunity_days
        on history_days.opportunity_id = opportunity_days.opportunity_id
),

first_history_days as (
    select distinct
        opportunity_id,
        first_history_date
    from history_days
),

-- The current row holds from creation until the first history day (for ever without history),
-- and again from its modstamp day on.
current_ranges as (
    select
        opportunity_days.opportunity_id,
        opportunity_days.created_date as valid_from_date,
        case
            when first_history_days.first_history_date is null then null
            when opportunity_days.modstamp_date is null
                then first_history_days.first_history_date
            else least(first_history_days.first_history_date, opportunity_days.modstamp_date)
        end as valid_to_date
    from opportunity_days
    left join first_history_days
        on opportunity_days.opportunity_id = first_history_days.opportunity_id
    union all
    select
        opportunity_days.opportunity_id,
        greatest(opportunity_days.modstamp_date, opportunity_days.created_date)
            as valid_from_date,
        cast(null as date) as valid_to_date
    from opportunity_days
    inner join first_history_days
        on opportunity_days.opportunity_id = first_history_days.opportunity_id
    where opportunity_days.modstamp_date is not null
),

current_versions as (
    select
        current_ranges.opportunity_id,
        false as is_from_history,
        cast(null as {{ dbt.type_string() }}) as opportunity_history_id,
        current_ranges.valid_from_date,
        current_ranges.valid_to_date,
        opportunities.stage_name,
        opportunities.amount,
        opportunities.probability,
        opportunities.close_date,
        opportunities.forecast_category_name as forecast_category,
        stages.api_name is not null as is_stage_defined,
        stages.is_closed as is_closed_stage,
        stages.is_won as is_won_stage
    from current_ranges
    inner join opportunities
        on current_ranges.opportunity_id = opportunities.opportunity_id
    left join stages
        on opportunities.stage_name = stages.api_name
),

versions as (
    select * from history_versions
    union all
    select * from current_versions
)

select
    versions.opportunity_id,
    opportunity_days.owner_id,
    opportunity_days.created_at,
    versions.valid_from_date,
    versions.valid_to_date,
    versions.is_from_history,
    versions.opportunity_history_id,
    versions.stage_name,
    versions.amount,
    versions.probability,
    versions.close_date,
    versions.forecast_category,
    -- From the state's stage; the current row's own flags where its stage is not defined.
    case
        when versions.is_stage_defined then versions.is_closed_stage
        when not versions.is_from_history then opportunities.is_closed
    end as is_closed,
    case
        when versions.is_stage_defined then versions.is_won_stage
        when not versions.is_from_history then opportunities.is_won
    end as is_won
from versions
inner join opportunity_days
    on versions.opportunity_id = opportunity_days.opportunity_id
inner join opportunities
    on versions.opportunity_id = opportunities.opportunity_id
where versions.valid_to_date is null or versions.valid_from_date < versions.valid_to_date
