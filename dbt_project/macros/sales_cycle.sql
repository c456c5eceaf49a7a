{#- A lost stage: closed and not won. Lost stages are not on the funnel (sources contract). -#}
{% macro is_lost_stage(is_closed, is_won) -%}
    ({{ is_closed }} and not {{ is_won }})
{%- endmacro %}
