with

source as (
    select * from {{ source('support', 'satisfaction_ratings') }}
    where {{ lifecycle.delivered_by_as_of() }}
),

renamed as (
    select
        cast(id as {{ dbt.type_string() }}) as rating_id,
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(score as integer) as score,
        nullif(trim(comment), '') as comment,
        {{ lifecycle.to_utc_timestamp('created_at') }} as rated_at,
        _delivery_date,
        _line
    from source
),

versioned as (
    select
        *,
        {{ lifecycle.latest_first('rating_id', 'rated_at') }} as version_rank,
        cast(min(_delivery_date) over (partition by rating_id) as date)
            as first_delivered_on
    from renamed
),

final as (
    select
        rating_id,
        ticket_id,
        score,
        score <= 2 as is_low_score,
        comment,
        rated_at,
        first_delivered_on
    from versioned
    where version_rank = 1
)

select * from final
