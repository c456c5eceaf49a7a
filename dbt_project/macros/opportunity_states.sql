{#-
    The state of every live opportunity at the end of each day of `days` (a relation with a
    date column `day_column`): one row per day and opportunity existing on it, from the
    versions of int_opportunity_state_versions (passed as `versions`) whose
    [valid_from_date, valid_to_date) holds the day. One range join for any number of days.
-#}
{% macro opportunity_states_on(days, versions, day_column='state_date') -%}
    select
        {{ days }}.{{ day_column }} as state_date,
        {{ versions }}.opportunity_id,
        {{ versions }}.owner_id,
        {{ versions }}.created_at,
        {{ versions }}.is_from_history,
        {{ versions }}.stage_name,
        {{ versions }}.amount,
        {{ versions }}.probability,
        {{ versions }}.close_date,
        {{ versions }}.forecast_category,
        {{ versions }}.is_closed,
        {{ versions }}.is_won
    from {{ days }}
    inner join {{ versions }}
        on {{ versions }}.valid_from_date <= {{ days }}.{{ day_column }}
        and (
            {{ versions }}.valid_to_date is null
            or {{ days }}.{{ day_column }} < {{ versions }}.valid_to_date
        )
{%- endmacro %}
