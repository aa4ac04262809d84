{#- Rows the extract quarantined, per table, delivery day and reason. -#}
with

quarantined as (
    select * from {{ ref('stg_quarantine__rows') }}
),

final as (
    select
        source_system,
        source_table,
        delivery_date,
        coalesce(column_name, '(whole row)') as column_name,
        reason,
        cast(count(*) as bigint) as quarantined_rows,
        min(source_file) as example_file,
        cast(min(source_line) as bigint) as example_line
    from quarantined
    group by source_system, source_table, delivery_date, column_name, reason
)

select * from final
