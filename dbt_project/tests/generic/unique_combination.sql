{#- No two rows share the same values in all of `columns` (a composite key). -#}
{% test unique_combination(model, columns) %}

with

keyed as (
    select
        {{ columns | join(', ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ columns | join(', ') }}
)

select * from keyed
where row_count > 1

{% endtest %}
