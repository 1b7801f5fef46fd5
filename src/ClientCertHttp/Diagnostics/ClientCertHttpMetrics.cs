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

    /// <summary>Tag: what started the load: <c>startup</c>, <c>file_change</c>, <c>configuration</c>, <c>manual</c>, <c>provider_change</c> or <c>store_refresh</c>.</summary>
    public const string TriggerTag = "clientcerthttp.reload.trigger";
}
