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

    /// <summary>Tag: the HTTP client's name.</summary>
    public const string ClientNameTag = "clientcerthttp.client.name";

    /// <summary>Tag of <see cref="Reloads"/>: <c>changed</c>, <c>unchanged</c> or <c>failure</c>.</summary>
    public const string ResultTag = "clientcerthttp.reload.result";

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
}
