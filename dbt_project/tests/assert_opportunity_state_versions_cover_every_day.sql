-- The state versions of an opportunity must give exactly one state for every day from its
-- created date on: the first starts on the created date, each ends where the next starts, and
-- only the last is open. Returns the versions that break this.
with

versions as (
    select * from {{ ref('int_opportunity_state_versions') }}
),

ordered as (
    select
        opportunity_id,
        created_at,
        valid_from_date,
        valid_to_date,
        lag(valid_to_date) over (
            partition by opportunity_id order by valid_from_date
        ) as previous_valid_to_date,
        row_number() over (
            partition by opportunity_id order by valid_from_date
        ) as version_number,
        count(*) over (partition by opportunity_id) as version_count
    from versions
)

select *
from ordered
where
    (version_number = 1 and valid_from_date != cast(created_at as date))
    or (version_number > 1 and valid_from_date != previous_valid_to_date)
    or (version_number < version_count and valid_to_date is null)
    or (version_number = version_count and valid_to_date is not null)
