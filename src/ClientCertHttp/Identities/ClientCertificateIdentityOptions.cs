using ClientCertHttp.Certificates;

namespace ClientCertHttp.Identities;

/// <summary>
/// Options of a client that sends a different client certificate per identity (a tenant, a customer, a merchant):
/// where the identities' certificates come from, and how many stay loaded.
/// </summary>
/// <remarks>
/// <para>
/// A request names its identity with
/// <see cref="ClientCertificateIdentityRequestExtensions.SetClientCertificateIdentity(HttpRequestMessage, string)"/>, or
/// goes through a client from <see cref="IClientCertHttpClientFactory.CreateClient(string, string)"/>. Each identity
/// gets its own <see cref="SocketsHttpHandler"/>, so its own connection pool and certificate context: a connection
/// never carries another identity's certificate, and each identity's full chain is sent.
/// </para>
/// <para>
/// Identities come from <see cref="Certificates"/> (a fixed set), from <see cref="Directory"/> (one entry per
/// identity, added while the application runs) or from an <see cref="IClientCertificateIdentityProvider"/>
/// (<c>AddClientCertificateIdentityProvider</c>). Each is loaded on its first request; concurrent first requests load
/// it once. Server trust, retries and diagnosis are the client's.
/// </para>
/// </remarks>
public sealed class ClientCertificateIdentityOptions
{
    /// <summary>The largest accepted value of <see cref="MaxIdentities"/>.</summary>
    public const int MaxMaxIdentities = 1_000_000;

    /// <summary>
    /// Gets the certificates of a fixed set of identities, keyed by identity, each configured like the client's own
    /// <see cref="ClientCertHttpOptions.Certificate"/> (<c>Path</c>, <c>Password</c>, <c>KeyPath</c>, <c>Store</c>, …).
    /// </summary>
    /// <value>The default value is an empty dictionary. Identity keys are compared ordinally (case-sensitive).</value>
    public IDictionary<string, ClientCertificateOptions> Certificates { get; } = new Dictionary<string, ClientCertificateOptions>(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets a folder holding one certificate per identity: a sub-folder named after the identity in the
    /// Kubernetes TLS secret shape (<c>tls.crt</c>, <c>tls.key</c>, optionally <c>ca.crt</c>), or a PEM file
    /// <c>&lt;identity&gt;.pem</c> holding the key and the chain (leaf first).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no folder.</value>
    /// <remarks>
    /// Identities added to the folder while the application runs are found on their first request; each loaded
    /// identity's files are watched for rotation like the client's own. An identity in
    /// <see cref="Certificates"/> takes precedence over an entry of the same name here.
    /// </remarks>
    public string? Directory { get; set; }

    /// <summary>
    /// Gets or sets how many identities stay loaded at once. Loading one more evicts the least recently used idle
    /// identity: its handler drains for <c>Reload:DrainTimeout</c>, then its connections and certificate are disposed.
    /// </summary>
    /// <value>The default value is 1000. It must be between 1 and <see cref="MaxMaxIdentities"/>.</value>
    public int MaxIdentities { get; set; } = 1000;

    /// <summary>
    /// Gets or sets how long an identity may go without a request before it is unloaded.
    /// </summary>
    /// <value>The default value is 30 minutes. <see cref="Timeout.InfiniteTimeSpan"/> keeps identities until evicted by <see cref="MaxIdentities"/>.</value>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Gets or sets a value indicating whether the identity metrics carry an <c>identity</c> tag.
    /// </summary>
    /// <value>
    /// The default value is <see langword="false"/>: the metrics are aggregated per client, as the number of
    /// identities is unbounded and every tag value is a time series. Turn it on only for a small, fixed set.
    /// </value>
    public bool IncludeIdentityInMetrics { get; set; }
}
