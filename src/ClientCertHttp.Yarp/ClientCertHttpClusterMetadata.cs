namespace ClientCertHttp.Yarp;

/// <summary>
/// The cluster metadata keys that ClientCertHttp.Yarp reads from a YARP <c>ClusterConfig.Metadata</c>.
/// </summary>
public static class ClientCertHttpClusterMetadata
{
    /// <summary>
    /// The key <c>ClientCertHttp.Client</c>: its value is the name of a client registered with
    /// <c>AddClientCertHttpClient</c> (or <c>AddClientCertificate</c>), whose certificate, rotation, server trust and
    /// failure diagnosis the cluster's requests then use.
    /// </summary>
    /// <remarks>
    /// In configuration: <c>"Clusters": { "backend": { "Metadata": { "ClientCertHttp.Client": "backend" }, "Destinations": { … } } }</c>.
    /// A cluster without the key is forwarded exactly as YARP does by default.
    /// </remarks>
    public const string ClientName = "ClientCertHttp.Client";

    /// <summary>Reads the client name a cluster's metadata names, or <see langword="null"/> when the key is absent.</summary>
    internal static string? Read(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is not null && metadata.TryGetValue(ClientName, out var name) ? name : null;
}
