namespace ClientCertHttp.Diagnostics;

/// <summary>
/// The names of the meter, instruments and tags ClientCertHttp reports through <see cref="System.Diagnostics.Metrics.IMeterFactory"/>.
/// </summary>
public static class ClientCertHttpMetrics
{
    /// <summary>The meter name: <c>ClientCertHttp</c>.</summary>
    public const string MeterName = "ClientCertHttp";

    /// <summary>Observable gauge, seconds (<c>s</c>): time left until the certificate in use expires, per client; negative once expired.</summary>
    public const string TimeToExpiry = "clientcerthttp.certificate.time_to_expiry";

    /// <summary>Counter, <c>{reload}</c>: reload attempts, tagged with <see cref="ClientNameTag"/> and <see cref="ResultTag"/>.</summary>
    public const string Reloads = "clientcerthttp.certificate.reloads";

    /// <summary>Counter, <c>{selection}</c>: times a certificate was loaded and selected for a client (at startup and on every reload that changed it), tagged with <see cref="ClientNameTag"/> and <see cref="TriggerTag"/>.</summary>
    public const string Selections = "clientcerthttp.certificate.selections";

    /// <summary>
    /// Counter, <c>{request}</c>: requests that ended in a failure, once per request after any retries, tagged with
    /// <see cref="ClientNameTag"/> and <see cref="FailureCategoryTag"/>. Requests the caller canceled are not counted.
    /// </summary>
    /// <remarks>
    /// Counted for clients whose retries are on (the default) and for handlers from
    /// <see cref="Handler.IClientCertificateHandlerFactory"/> (proxied requests, where only exceptions count: a response
    /// is forwarded as it is). A client with <c>Retry:Enabled</c> false skips the reporting step and counts nothing here.
    /// </remarks>
    public const string RequestFailures = "clientcerthttp.request.failures";

    /// <summary>
    /// Counter, <c>{rejection}</c>: server certificates this client's trust checks rejected, once per rejected TLS
    /// handshake, tagged with <see cref="ClientNameTag"/> and <see cref="ServerCertificateFailureReasonTag"/>.
    /// </summary>
    public const string ServerCertificateRejections = "clientcerthttp.server_certificate.rejections";

    /// <summary>
    /// Counter, <c>{rejection}</c>: requests that failed because the server rejected the client certificate, once per
    /// request (as <see cref="RequestFailures"/> with the category <c>client_certificate_rejected</c>), tagged with
    /// <see cref="ClientNameTag"/> and <see cref="TlsAlertTag"/>.
    /// </summary>
    public const string ClientCertificateRejections = "clientcerthttp.client_certificate.rejections";

    /// <summary>
    /// Histogram, seconds (<c>s</c>): how long the TLS handshakes of this library's connections took, from the moment
    /// the TCP connection was established to the moment the handshake completed (the server's chain validated by this
    /// client's trust checks included), once per successful handshake, tagged with <see cref="ClientNameTag"/> and
    /// <see cref="TlsProtocolVersionTag"/>.
    /// </summary>
    /// <remarks>
    /// The platform reports no client TLS metric (dotnet/runtime#88383), so the library measures the connections its
    /// handlers open themselves: a handler whose <see cref="SocketsHttpHandler.ConnectCallback"/> or
    /// <see cref="SocketsHttpHandler.PlaintextStreamFilter"/> was set by other code, and connections through an HTTP
    /// proxy, are not measured. Failed handshakes are not recorded here: they are counted by
    /// <see cref="ServerCertificateRejections"/>, <see cref="ClientCertificateRejections"/> and <see cref="RequestFailures"/>.
    /// </remarks>
    public const string TlsHandshakeDuration = "clientcerthttp.tls.handshake.duration";

    /// <summary>Tag: the HTTP client's name.</summary>
    public const string ClientNameTag = "clientcerthttp.client.name";

    /// <summary>Tag of <see cref="Reloads"/>: <c>changed</c>, <c>unchanged</c> or <c>failure</c>.</summary>
    public const string ResultTag = "clientcerthttp.reload.result";

    /// <summary>
    /// Tag of <see cref="RequestFailures"/>: the <see cref="Resilience.HttpFailureCategory"/> in snake case:
    /// <c>transient</c>, <c>client_certificate_rejected</c>, <c>server_certificate_rejected</c>,
    /// <c>tls_handshake_failed</c>, <c>non_transient_status_code</c> or <c>unclassified</c>.
    /// </summary>
    public const string FailureCategoryTag = "clientcerthttp.failure.category";

    /// <summary>
    /// Tag of <see cref="ServerCertificateRejections"/>: the <see cref="Trust.ServerCertificateFailureReason"/> in snake
    /// case, for example <c>untrusted_root</c>, <c>partial_chain</c>, <c>name_mismatch</c>, <c>expired</c>,
    /// <c>pin_mismatch</c> or <c>validator_rejected</c>.
    /// </summary>
    public const string ServerCertificateFailureReasonTag = "clientcerthttp.server_certificate.failure_reason";

    /// <summary>
    /// Tag of <see cref="ClientCertificateRejections"/>: the TLS alert the server sent, as named by RFC 8446
    /// (<c>bad_certificate</c>, <c>unsupported_certificate</c>, <c>certificate_revoked</c>, <c>certificate_expired</c>,
    /// <c>certificate_unknown</c>, <c>unknown_ca</c>, <c>access_denied</c>, <c>certificate_required</c>), or <c>none</c>
    /// when the server rejected the certificate without an alert (it closed the connection after the handshake, or
    /// answered with a status code such as nginx's 400 or 495).
    /// </summary>
    public const string TlsAlertTag = "clientcerthttp.tls.alert";

    /// <summary>Tag of <see cref="TlsHandshakeDuration"/>: the negotiated TLS version, <c>1.2</c> or <c>1.3</c> (OpenTelemetry's <c>tls.protocol.version</c>).</summary>
    public const string TlsProtocolVersionTag = "tls.protocol.version";

    /// <summary>Tag: what started the load: <c>startup</c>, <c>file_change</c>, <c>configuration</c>, <c>manual</c>, <c>provider_change</c>, <c>store_refresh</c>, <c>certificate_rejected</c> (a server rejected the certificate) or <c>retry</c> (a failed reload tried again).</summary>
    public const string TriggerTag = "clientcerthttp.reload.trigger";

    /// <summary>Counter, <c>{load}</c>: identity loads of per-identity clients, tagged with <see cref="ClientNameTag"/> and <see cref="ResultTag"/> (<c>success</c>, <c>failure</c> or <c>unknown_identity</c>), and <see cref="IdentityTag"/> when the client opts in.</summary>
    public const string IdentityLoads = "clientcerthttp.identity.loads";

    /// <summary>Counter, <c>{eviction}</c>: identities unloaded, tagged with <see cref="ClientNameTag"/> and <see cref="EvictionReasonTag"/>, and <see cref="IdentityTag"/> when the client opts in.</summary>
    public const string IdentityEvictions = "clientcerthttp.identity.evictions";

    /// <summary>Observable up-down counter, <c>{identity}</c>: identities loaded now, per client.</summary>
    public const string IdentitiesLoaded = "clientcerthttp.identity.loaded";

    /// <summary>Tag: the identity, only for clients that set <c>Identities:IncludeIdentityInMetrics</c>.</summary>
    public const string IdentityTag = "clientcerthttp.identity";

    /// <summary>Tag of <see cref="IdentityEvictions"/>: <c>capacity</c> (Identities:MaxIdentities), <c>idle</c> (Identities:IdleTimeout) or <c>manual</c>.</summary>
    public const string EvictionReasonTag = "clientcerthttp.identity.eviction_reason";
}

/// <summary>The values of the tags in <see cref="ClientCertHttpMetrics"/>, which are also the triggers named in logs.</summary>
internal static class ClientCertHttpMetricValues
{
    // ClientCertHttpMetrics.TriggerTag
    public const string StartupTrigger = "startup";
    public const string FileChangeTrigger = "file_change";
    public const string ConfigurationTrigger = "configuration";
    public const string ManualTrigger = "manual";
    public const string ProviderChangeTrigger = "provider_change";
    public const string StoreRefreshTrigger = "store_refresh";
    public const string RejectionTrigger = "certificate_rejected";
    public const string RetryTrigger = "retry";

    // ClientCertHttpMetrics.ResultTag
    public const string Changed = "changed";
    public const string Unchanged = "unchanged";
    public const string Failure = "failure";

    // ClientCertHttpMetrics.TlsAlertTag, when the rejection carried no alert.
    public const string NoAlert = "none";

    // Any tag value of an enum member this version does not know.
    public const string Other = "other";
}

/// <summary>
/// The names of the <see cref="System.Diagnostics.ActivitySource"/> and activities ClientCertHttp reports; their
/// tags are the ones named in <see cref="ClientCertHttpMetrics"/>.
/// </summary>
public static class ClientCertHttpActivities
{
    /// <summary>The activity source name: <c>ClientCertHttp</c>.</summary>
    public const string ActivitySourceName = "ClientCertHttp";

    /// <summary>
    /// Internal activity <c>clientcerthttp.certificate.reload</c>: one certificate reload (not the first load at
    /// startup), tagged with <see cref="ClientCertHttpMetrics.ClientNameTag"/>, <see cref="ClientCertHttpMetrics.TriggerTag"/>
    /// and <see cref="ClientCertHttpMetrics.ResultTag"/>; its status is <c>Error</c>, with the problem as description,
    /// when the reload failed and the previous certificate stays in use.
    /// </summary>
    public const string CertificateReload = "clientcerthttp.certificate.reload";
}
