with

source as (
    select * from {{ source('ledger', 'locks') }}
),

renamed as (
    select
        ---------- dates
        quarter_start,
        close_date,
        locked_as_of_date,

        ---------- timestamps
        locked_at,

        ---------- ids
        run_id
    from source
)

select * from renamed
