-- The `turnover_quarters` fiscal quarters that end with the fiscal quarter of the as-of date.
with

quarters as (
    {{ fiscal_quarters_up_to_as_of(var('turnover_quarters') | int) }}
)

select
    quarter_start,
    quarter_end
from quarters
