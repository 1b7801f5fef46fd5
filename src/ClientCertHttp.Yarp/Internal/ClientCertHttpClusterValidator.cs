using ClientCertHttp.Handler;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Configuration.ClusterValidators;
using Yarp.ReverseProxy.Forwarder;

namespace ClientCertHttp.Yarp;

/// <summary>
/// Checks every cluster that names a ClientCertHttp client when YARP loads its configuration: at startup the proxy
/// then fails with the cluster and client named, and a configuration reload with a bad cluster is rejected (YARP keeps
/// the previous configuration) instead of forwarding without the certificate.
/// </summary>
internal sealed class ClientCertHttpClusterValidator(
    IClientCertificateHandlerFactory handlers,
    IForwarderHttpClientFactory clientFactory) : IClusterValidator
{
    public ValueTask ValidateAsync(ClusterConfig cluster, IList<Exception> errors)
    {
        var clientName = ClientCertHttpClusterMetadata.Read(cluster.Metadata);
        if (clientName is null)
        {
            return ValueTask.CompletedTask;
        }

        foreach (var problem in ClusterChecks.Find(cluster.ClusterId, clientName, cluster.HttpClient, handlers))
        {
            errors.Add(problem);
        }

        if (clientFactory is not ClientCertHttpForwarderHttpClientFactory)
        {
            // Without this the cluster would forward with YARP's default client: no certificate, platform trust.
            errors.Add(new ClientCertificateException(
                clientName,
                ClientCertificateFailureReason.UnsupportedPrimaryHandler,
                $"YARP cluster '{cluster.ClusterId}' names the ClientCertHttp client '{clientName}', but the proxy's IForwarderHttpClientFactory is {clientFactory.GetType().FullName}, registered after AddClientCertHttpForwarding (ConfigureHttpClient does this). Call AddClientCertHttpForwarding last, and configure the client's handler through AddClientCertHttpClient(...).UseSocketsHttpHandler or the cluster's HttpClient settings."));
        }

        return ValueTask.CompletedTask;
    }
}
