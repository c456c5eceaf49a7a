{#-
    One bucket of the pipeline waterfall (contract: mart_pipeline_waterfall) over
    int_pipeline_movements: `<bucket>_count` and `<bucket>_amount` of the movements whose
    `side` (entry or outcome) is `bucket`, summing `amount_column` (start_amount for opening
    and pushed out, which are valued at S; end_amount otherwise).
-#}
{% macro waterfall_bucket(bucket, side, amount_column) -%}
    count(case when {{ side }} = '{{ bucket }}' then opportunity_id end) as {{ bucket }}_count,
    coalesce(
        sum(case when {{ side }} = '{{ bucket }}' then {{ amount_column }} end), 0
    ) as {{ bucket }}_amount
{%- endmacro %}
