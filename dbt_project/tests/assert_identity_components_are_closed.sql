{#- No match key may connect records of two different customers: one more round of
    label propagation over the final customers changes nothing (the rounds converged). -#}
with

edges as (
    select * from {{ ref('int_identity_edges') }}
),

matched as (
    select * from {{ ref('int_customers_matched') }}
),

keys_spanning_customers as (
    select
        edges.match_key,
        count(distinct matched.customer_id) as customers
    from edges
    inner join matched
        on edges.record_key = matched.record_key
    group by edges.match_key
)

select * from keys_spanning_customers where customers > 1
