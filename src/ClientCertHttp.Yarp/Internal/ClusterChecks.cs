using ClientCertHttp.Handler;
using Yarp.ReverseProxy.Configuration;

namespace ClientCertHttp.Yarp;

/// <summary>What a cluster that names a ClientCertHttp client must satisfy, with messages that name the cluster and the client.</summary>
internal static class ClusterChecks
{
    /// <summary>Lists every problem of a cluster that names <paramref name="clientName"/>.</summary>
    public static IEnumerable<ClientCertificateException> Find(string? clusterId, string clientName, HttpClientConfig? httpClient, IClientCertificateHandlerFactory handlers)
    {
        var cluster = $"YARP cluster '{clusterId}'";
        if (string.IsNullOrWhiteSpace(clientName))
        {
            yield return new ClientCertificateException(
                clientName,
                ClientCertificateFailureReason.InvalidConfiguration,
                $"{cluster}: its metadata '{ClientCertHttpClusterMetadata.ClientName}' is empty. Set it to the name of a client registered with AddClientCertHttpClient, or remove the key to forward without a client certificate.");
            yield break;
        }

        if (!handlers.ClientNames.Contains(clientName, StringComparer.Ordinal))
        {
            var known = handlers.ClientNames.Count == 0 ? "none is registered" : "registered: " + string.Join(", ", handlers.ClientNames.Select(n => $"'{n}'"));
            yield return new ClientCertificateException(
                clientName,
                ClientCertificateFailureReason.InvalidConfiguration,
                $"{cluster} names the ClientCertHttp client '{clientName}' in its metadata '{ClientCertHttpClusterMetadata.ClientName}', but no client of that name was registered with AddClientCertHttpClient or AddClientCertificate ({known}). Names are case-sensitive.");
        }

        if (httpClient?.DangerousAcceptAnyServerCertificate == true)
        {
            yield return new ClientCertificateException(
                clientName,
                ClientCertificateFailureReason.InvalidServerTrust,
                $"{cluster} names the ClientCertHttp client '{clientName}' and sets HttpClient:DangerousAcceptAnyServerCertificate. The client's ServerTrust options validate this cluster's destinations; remove the YARP setting (ServerTrust:RootCertificatesPath trusts a private CA).");
        }
    }

    /// <summary>Throws the first problem of a cluster (the validator has reported all of them at configuration load).</summary>
    public static void ThrowIfInvalid(string? clusterId, string clientName, HttpClientConfig? httpClient, IClientCertificateHandlerFactory handlers)
    {
        if (Find(clusterId, clientName, httpClient, handlers).FirstOrDefault() is { } problem)
        {
            throw problem;
        }
    }
}
