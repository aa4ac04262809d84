{#- Rows the extract quarantined, per source table, delivery day, column and
    rule, with one example to look at. -#}
with

quarantined as (
    select * from {{ ref('stg_raw_quarantine__rows') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by
                source_system, source_table, delivery_date, column_name, rule
            order by source_file, source_line
        ) as example_rank,
        count(*) over (
            partition by
                source_system, source_table, delivery_date, column_name, rule
        ) as quarantined_rows
    from quarantined
),

final as (
    select
        source_system,
        source_table,
        delivery_date,
        column_name,
        rule,
        cast(quarantined_rows as bigint) as quarantined_rows,
        reason as example_reason,
        source_file as example_file,
        source_line as example_line
    from ranked
    where example_rank = 1
)

select * from final
