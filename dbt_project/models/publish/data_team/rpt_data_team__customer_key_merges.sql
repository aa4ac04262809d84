{#- Retired customer keys and the key each customer has on the as-of date. -#}
select
    old_customer_id,
    customer_id,
    merged_on
from {{ ref('dim_customer_key_merges') }}
