using ClientCertHttp.Certificates;
using ClientCertHttp.Identities;
using ClientCertHttp.Resilience;
using ClientCertHttp.Trust;
using ClientCertHttp.Warmup;

namespace ClientCertHttp;

/// <summary>
/// Options of one client-certificate (mutual TLS) HTTP client. Registered as named options, named after the client.
/// </summary>
/// <remarks>
/// Bound from configuration with the shape
/// <c>{ "BaseAddress": "https://api.example.test/", "Certificate": { "Path": "client.pfx", "Password": "…" }, "ServerTrust": { … }, "Retry": { … }, "Warmup": { "Connections": 2 } }</c>.
/// Keys that are not properties of these options are reported as errors at startup instead of being ignored.
/// </remarks>
public sealed class ClientCertHttpOptions
{
    /// <summary>
    /// Gets or sets the base address given to every <see cref="HttpClient"/> created for this client.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the client's base address is left as it is.</value>
    /// <remarks>When set, it must be an absolute <c>https</c> URI: a client certificate is only ever sent over TLS.</remarks>
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// Gets or sets where the client certificate comes from.
    /// </summary>
    /// <value>The default value is an empty <see cref="ClientCertificateOptions"/>, which fails validation until a source is set.</value>
    public ClientCertificateOptions Certificate { get; set; } = new();

    /// <summary>
    /// Gets or sets how the server's certificate is validated.
    /// </summary>
    /// <value>The default value validates the server against the operating system's trust store, with host name checks.</value>
    public ServerTrustOptions ServerTrust { get; set; } = new();

    /// <summary>
    /// Gets or sets how the certificate is reloaded when its files change.
    /// </summary>
    /// <value>The default value watches the files every second.</value>
    public ClientCertificateReloadOptions Reload { get; set; } = new();

    /// <summary>
    /// Gets or sets how long before the certificate's end of validity warnings start: a warning is logged on entering
    /// this window and daily after that, and the health check reports Degraded.
    /// </summary>
    /// <value>The default value is 30 days.</value>
    public TimeSpan ExpiryWarningWindow { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Gets or sets how failed requests are retried.
    /// </summary>
    /// <value>
    /// The default value retries transient failures of idempotent requests up to 3 times, and never retries
    /// certificate or trust failures. See <see cref="ClientCertHttpRetryOptions"/>.
    /// </value>
    public ClientCertHttpRetryOptions Retry { get; set; } = new();

    /// <summary>
    /// Gets or sets how many connections are opened and handshaken when the host starts, and after every certificate
    /// rotation, so that the first request does not pay for the handshake.
    /// </summary>
    /// <value>The default value opens no connection ahead of time. See <see cref="ClientCertHttpWarmupOptions"/>.</value>
    public ClientCertHttpWarmupOptions Warmup { get; set; } = new();

    /// <summary>
    /// Gets or sets the identities of a per-identity client: a different client certificate per tenant, chosen per
    /// request. With identities, <see cref="Certificate"/> is optional: when it is set, it is the certificate of
    /// requests that name no identity; when it is not, such requests fail.
    /// </summary>
    /// <value>The default value configures no identity. See <see cref="ClientCertificateIdentityOptions"/>.</value>
    public ClientCertificateIdentityOptions Identities { get; set; } = new();

    // Problems found while binding configuration (unknown keys, values of the wrong shape). Reported by validation,
    // so that one startup error lists them together with every other problem of the client.
    internal List<string>? ConfigurationErrors { get; set; }

    // The configuration path the options were bound from, used to name keys in messages.
    internal string? ConfigurationPath { get; set; }

    // The identity these options were made for (the client's options with that identity's certificate), or null.
    internal string? IdentityName { get; set; }
}
