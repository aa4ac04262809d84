{#- Per source table, reference column and delivery day: the rows that name a
    record of another table (or system) and how many of those name one that
    does not exist as of the as-of date, with one example. What happens to
    such a row is decided where it is read, not here: an order is kept (its
    customer is built from its own identifiers), an orphan line item, refund
    or rating is left out of every order, revenue and CSAT figure, a contact
    or account naming an unknown account or owner is kept without one. -#}
with

orders as (
    select * from {{ ref('stg_orders__orders') }}
),

line_items as (
    select * from {{ ref('stg_orders__line_items') }}
),

refunds as (
    select * from {{ ref('stg_orders__refunds') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

owners as (
    select * from {{ ref('stg_crm__owners') }}
),

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

ratings as (
    select * from {{ ref('stg_support__satisfaction_ratings') }}
),

{#- Every app user with an event delivered by the as-of date: the app's identity
    records, so the event stream is not read again. #}
app_users as (
    select record_id as app_user_id
    from {{ ref('int_identities_unioned') }}
    where source_system = 'app'
),

{#- One row per (row, reference it carries): its own key, the key it names,
    the day the row was first delivered, and whether the named key resolves. #}
references_checked as (
    select
        'orders' as source_system,
        'orders' as source_table,
        'customer.crm_contact_id' as reference_column,
        'crm.contacts' as referenced_table,
        orders.order_id as record_id,
        orders.crm_contact_id as reference_id,
        orders.first_delivered_on as delivery_date,
        contacts.contact_id is null as is_unresolved
    from orders
    left join contacts
        on orders.crm_contact_id = contacts.contact_id
    where orders.crm_contact_id is not null

    union all

    select
        'orders' as source_system,
        'orders' as source_table,
        'customer.app_user_id' as reference_column,
        'app.events' as referenced_table,
        orders.order_id as record_id,
        orders.app_user_id as reference_id,
        orders.first_delivered_on as delivery_date,
        app_users.app_user_id is null as is_unresolved
    from orders
    left join app_users
        on orders.app_user_id = app_users.app_user_id
    where orders.app_user_id is not null

    union all

    select
        'orders' as source_system,
        'line_items' as source_table,
        'order_id' as reference_column,
        'orders.orders' as referenced_table,
        line_items.line_item_id as record_id,
        line_items.order_id as reference_id,
        line_items.first_delivered_on as delivery_date,
        orders.order_id is null as is_unresolved
    from line_items
    left join orders
        on line_items.order_id = orders.order_id
    where line_items.order_id is not null

    union all

    select
        'orders' as source_system,
        'refunds' as source_table,
        'order_id' as reference_column,
        'orders.orders' as referenced_table,
        refunds.refund_id as record_id,
        refunds.order_id as reference_id,
        refunds.first_delivered_on as delivery_date,
        orders.order_id is null as is_unresolved
    from refunds
    left join orders
        on refunds.order_id = orders.order_id
    where refunds.order_id is not null

    union all

    select
        'support' as source_system,
        'satisfaction_ratings' as source_table,
        'ticket_id' as reference_column,
        'support.tickets' as referenced_table,
        ratings.rating_id as record_id,
        ratings.ticket_id as reference_id,
        ratings.first_delivered_on as delivery_date,
        tickets.ticket_id is null as is_unresolved
    from ratings
    left join tickets
        on ratings.ticket_id = tickets.ticket_id
    where ratings.ticket_id is not null

    union all

    select
        'crm' as source_system,
        'contacts' as source_table,
        'AccountId' as reference_column,
        'crm.accounts' as referenced_table,
        contacts.contact_id as record_id,
        contacts.account_id as reference_id,
        contacts.first_delivered_on as delivery_date,
        accounts.account_id is null as is_unresolved
    from contacts
    left join accounts
        on contacts.account_id = accounts.account_id
    where contacts.account_id is not null

    union all

    select
        'crm' as source_system,
        'contacts' as source_table,
        'OwnerId' as reference_column,
        'crm.owners' as referenced_table,
        contacts.contact_id as record_id,
        contacts.owner_id as reference_id,
        contacts.first_delivered_on as delivery_date,
        owners.owner_id is null as is_unresolved
    from contacts
    left join owners
        on contacts.owner_id = owners.owner_id
    where contacts.owner_id is not null

    union all

    select
        'crm' as source_system,
        'accounts' as source_table,
        'OwnerId' as reference_column,
        'crm.owners' as referenced_table,
        accounts.account_id as record_id,
        accounts.owner_id as reference_id,
        accounts.first_delivered_on as delivery_date,
        owners.owner_id is null as is_unresolved
    from accounts
    left join owners
        on accounts.owner_id = owners.owner_id
    where accounts.owner_id is not null
),

counted as (
    select
        source_system,
        source_table,
        reference_column,
        referenced_table,
        delivery_date,
        cast(count(*) as bigint) as referencing_rows,
        cast(sum(case when is_unresolved then 1 else 0 end) as bigint)
            as unresolved_rows
    from references_checked
    group by
        source_system,
        source_table,
        reference_column,
        referenced_table,
        delivery_date
),

{#- The example: the unresolved row with the smallest key (ranked among the
    unresolved rows only, a few thousand, not every reference). #}
examples as (
    select
        source_system,
        source_table,
        reference_column,
        delivery_date,
        record_id,
        reference_id,
        row_number() over (
            partition by
                source_system, source_table, reference_column, delivery_date
            order by record_id
        ) as example_rank
    from references_checked
    where is_unresolved
),

final as (
    select
        counted.source_system,
        counted.source_table,
        counted.reference_column,
        counted.referenced_table,
        counted.delivery_date,
        counted.referencing_rows,
        counted.unresolved_rows,
        examples.record_id as example_record_id,
        examples.reference_id as example_reference_id,
        {{ lifecycle.as_of_date() }} as as_of_date
    from counted
    left join examples
        on counted.source_system = examples.source_system
        and counted.source_table = examples.source_table
        and counted.reference_column = examples.reference_column
        and counted.delivery_date = examples.delivery_date
        and examples.example_rank = 1
)

select * from final
