{#-
    The forecast of a set of opportunity states, by forecast category (contract: mart_forecast),
    as aggregate select items over a relation with is_closed, is_won, forecast_category, amount
    (NULL counts as 0) and opportunity_id. mart_forecast and mart_forecast_trend share it.
-#}
{% macro forecast_category_sums() -%}
    {%- set categories = {
        'commit_amount': 'Commit',
        'most_likely_amount': 'Most Likely',
        'best_case_amount': 'Best Case',
        'pipeline_amount': 'Pipeline',
        'omitted_amount': 'Omitted',
    } -%}
    coalesce(sum(case when is_won then amount end), 0) as closed_won_amount,
    {%- for column, category in categories.items() %}
    coalesce(
        sum(case when not is_closed and forecast_category = '{{ category }}' then amount end), 0
    ) as {{ column }},
    {%- endfor %}
    count(case when not is_closed then opportunity_id end) as open_opportunity_count
{%- endmacro %}

{#- Won plus open Commit. -#}
{% macro forecast_commit_amount() -%}
    (closed_won_amount + commit_amount)
{%- endmacro %}

{#- The commit forecast plus open Most Likely and Best Case. -#}
{% macro forecast_best_case_amount() -%}
    ({{ forecast_commit_amount() }} + most_likely_amount + best_case_amount)
{%- endmacro %}
