{#- Every customer has exactly one stage on every day from first sight to the as-of date:
    spans are contiguous, never overlap, start on the first-seen day and end after as-of. -#}
with

spans as (
    select * from {{ ref('fct_customer_stage_spans') }}
),

chained as (
    select
        customer_id,
        valid_from,
        valid_to,
        lead(valid_from) over (
            partition by customer_id order by valid_from
        ) as next_valid_from
    from spans
),

broken_chain as (
    select customer_id, 'gap or overlap' as problem
    from chained
    where next_valid_from is not null and next_valid_from <> valid_to
),

empty_span as (
    select customer_id, 'empty span' as problem
    from chained
    where valid_to <= valid_from
),

wrong_end as (
    select customer_id, 'does not reach the as-of date' as problem
    from spans
    group by customer_id
    having max(valid_to) <> {{ dbt.dateadd('day', 1, lifecycle.as_of_date()) }}
),

missing_customers as (
    select distinct matched.customer_id, 'no stage' as problem
    from {{ ref('int_customers_matched') }} as matched
    left join spans
        on matched.customer_id = spans.customer_id
    where spans.customer_id is null
)

select * from broken_chain
union all
select * from empty_span
union all
select * from wrong_end
union all
select * from missing_customers
