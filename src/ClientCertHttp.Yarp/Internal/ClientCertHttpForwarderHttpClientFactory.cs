using ClientCertHttp.Handler;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace ClientCertHttp.Yarp;

/// <summary>
/// YARP's own client factory, with one change for clusters that name a ClientCertHttp client in their metadata: the
/// <see cref="SocketsHttpHandler"/> YARP configured (no proxy, redirects, decompression or cookies; its activity
/// propagator; the cluster's <c>HttpClient</c> settings) becomes the primary handler of that client, so it presents
/// the client's certificate, follows its rotations and validates the destination with its server trust.
/// </summary>
/// <remarks>
/// YARP calls <see cref="ForwarderHttpClientFactory.CreateClient"/> once per cluster and again whenever the cluster's
/// configuration changes; the old client is reused when neither its <c>HttpClient</c> settings nor the client it
/// names changed. Requests are forwarded once, never retried, by the handler from
/// <see cref="IClientCertificateHandlerFactory"/>.
/// </remarks>
internal sealed class ClientCertHttpForwarderHttpClientFactory(
    IClientCertificateHandlerFactory handlers,
    ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    protected override bool CanReuseOldClient(ForwarderHttpClientContext context) =>
        base.CanReuseOldClient(context)
        && string.Equals(ClientCertHttpClusterMetadata.Read(context.OldMetadata), ClientCertHttpClusterMetadata.Read(context.NewMetadata), StringComparison.Ordinal);

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler)
    {
        var clientName = ClientCertHttpClusterMetadata.Read(context.NewMetadata);
        if (clientName is null)
        {
            return base.WrapHandler(context, handler);
        }

        ClusterChecks.ThrowIfInvalid(context.ClusterId, clientName, context.NewConfig, handlers);
        return handlers.CreateHandler(clientName, (SocketsHttpHandler)handler);
    }
}
