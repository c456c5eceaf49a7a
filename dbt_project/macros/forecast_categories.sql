{#-
    A forecast category as its label. Salesforce writes labels in `ForecastCategoryName` and API
    names in `ForecastCategory` (sources contract); both are valid input, and downstream of
    staging only labels exist. API names equal to their label (Pipeline, Closed, Omitted) and
    labels pass through; anything else was rejected at ingestion.
-#}
{% macro forecast_category_label(column) -%}
    case {{ column }}
        {%- for api_name, label in forecast_category_api_names().items() %}
        when '{{ api_name }}' then '{{ label }}'
        {%- endfor %}
        else {{ column }}
    end
{%- endmacro %}

{#- API names that differ from their label. -#}
{% macro forecast_category_api_names() -%}
    {{ return({'BestCase': 'Best Case', 'MostLikely': 'Most Likely', 'Forecast': 'Commit'}) }}
{%- endmacro %}
