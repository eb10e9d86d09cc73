//! Diesel table definitions, matching `migrations/`.

diesel::table! {
    organizations (id) {
        id -> Int8,
        uuid -> Uuid,
        name -> Text,
        permalink -> Text,
        domain -> Nullable<Text>,
        address -> Nullable<Text>,
        city -> Nullable<Text>,
        zip -> Nullable<Text>,
        country -> Nullable<Text>,
        country_code -> Nullable<Bpchar>,
        phone -> Nullable<Text>,
        time_zone -> Nullable<Text>,
        parent_id -> Nullable<Int8>,
        path -> Array<Int8>,
        monthly_limit -> Nullable<Int8>,
        customizations -> Jsonb,
        suspended_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        suspended_by -> Nullable<Int8>,
        parent_uuid -> Nullable<Uuid>,
        search_text -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        uuid -> Uuid,
        organization_id -> Int8,
        current_organization_id -> Int8,
        email -> Text,
        name -> Text,
        phone_number -> Nullable<Text>,
        password_hash -> Text,
        verified_email -> Bool,
        pending_invite -> Bool,
        roles -> Array<Text>,
        email_preferences -> Jsonb,
        last_login_time -> Nullable<Timestamptz>,
        previous_emails -> Array<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Int8,
        uuid -> Uuid,
        organization_id -> Int8,
        user_id -> Int8,
        mode -> Text,
        prefix -> Text,
        key_hash -> Bytea,
        active_until -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (id) {
        id -> Int8,
        organization_id -> Int8,
        user_id -> Int8,
        token_hash -> Bytea,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        organization_id -> Int8,
        actor_user_id -> Nullable<Int8>,
        actor_api_key_id -> Nullable<Int8>,
        actor_session_id -> Nullable<Int8>,
        action -> Text,
        target_type -> Text,
        target_id -> Uuid,
        changes -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    access_log (id) {
        id -> Int8,
        organization_id -> Nullable<Int8>,
        user_id -> Nullable<Int8>,
        email -> Nullable<Text>,
        action -> Text,
        status -> Text,
        client_ip -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ip_pools (id) {
        id -> Int8,
        uuid -> Uuid,
        organization_id -> Int8,
        name -> Text,
        is_default -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    ip_addresses (id) {
        id -> Int8,
        uuid -> Uuid,
        organization_id -> Int8,
        ipv4 -> Text,
        ipv6 -> Nullable<Text>,
        hostname -> Text,
        priority -> Int2,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    ip_pool_addresses (ip_pool_id, ip_address_id) {
        ip_pool_id -> Int8,
        ip_address_id -> Int8,
        organization_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    servers (id) {
        id -> Int8,
        uuid -> Uuid,
        organization_id -> Int8,
        name -> Text,
        permalink -> Text,
        mode -> Text,
        ip_pool_id -> Nullable<Int8>,
        send_limit -> Nullable<Int8>,
        suspended_at -> Nullable<Timestamptz>,
        suspended_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    server_queues (server_id) {
        server_id -> Int8,
        organization_id -> Int8,
        queued -> Int8,
        last_floor -> Int8,
        last_shift -> Int8,
    }
}

diesel::table! {
    sent_seconds (server_id, second) {
        server_id -> Int8,
        second -> Int8,
        organization_id -> Int8,
        sent -> Int8,
    }
}

diesel::table! {
    sent_totals (server_id, ip_pool_id, ip_address_id) {
        server_id -> Int8,
        ip_pool_id -> Int8,
        ip_address_id -> Int8,
        organization_id -> Int8,
        sent -> Int8,
    }
}

diesel::table! {
    monthly_usage (organization_id, month) {
        organization_id -> Int8,
        month -> Date,
        sent -> Int8,
        monthly_limit -> Nullable<Int8>,
        threshold_recorded -> Nullable<Int2>,
    }
}

diesel::table! {
    organization_counts (organization_id) {
        organization_id -> Int8,
        children -> Int8,
        descendants -> Int8,
    }
}

diesel::table! {
    idempotency_keys (user_id, key_hash) {
        user_id -> Int8,
        key_hash -> Bytea,
        organization_id -> Int8,
        fingerprint -> Bytea,
        status -> Nullable<Int2>,
        content_type -> Nullable<Text>,
        body -> Nullable<Bytea>,
        created_at -> Timestamptz,
        location -> Nullable<Text>,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(ip_pool_addresses -> ip_addresses (ip_address_id));
diesel::joinable!(ip_pool_addresses -> ip_pools (ip_pool_id));
diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(audit_log -> organizations (organization_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    users,
    api_keys,
    sessions,
    audit_log,
    access_log,
    ip_pools,
    ip_addresses,
    ip_pool_addresses,
    servers,
    server_queues,
    sent_seconds,
    sent_totals,
    monthly_usage,
    idempotency_keys,
    organization_counts,
);
