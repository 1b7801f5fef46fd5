using ClientCertHttp.Yarp;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Configuration.ClusterValidators;
using Yarp.ReverseProxy.Forwarder;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Extension methods that let YARP clusters forward through ClientCertHttp clients.
/// </summary>
public static class ClientCertHttpReverseProxyBuilderExtensions
{
    /// <summary>
    /// Lets every YARP cluster whose metadata names a ClientCertHttp client
    /// (<see cref="ClientCertHttpClusterMetadata.ClientName"/>, <c>"ClientCertHttp.Client": "backend"</c>) forward its
    /// requests with that client's certificate, certificate rotation, server trust and failure diagnosis.
    /// </summary>
    /// <param name="builder">The builder from <c>AddReverseProxy()</c>.</param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// <para>
    /// Register the clients themselves with <c>AddClientCertHttpClient(name, …)</c>; their certificates are loaded and
    /// checked when the host starts. YARP's <see cref="IForwarderHttpClientFactory"/> is replaced by one that creates
    /// YARP's usual handler (no proxy, redirects, decompression or cookies; the cluster's <c>HttpClient</c> settings)
    /// and gives it the client's certificate and trust. Clusters without the metadata are forwarded exactly as before.
    /// </para>
    /// <para>
    /// When YARP loads a configuration, a cluster that names an unknown client, or sets
    /// <c>HttpClient:DangerousAcceptAnyServerCertificate</c>, is an error naming the cluster and the client: at
    /// startup the proxy does not start, on a reload YARP keeps the previous configuration.
    /// </para>
    /// <para>
    /// Proxied requests are sent once and never retried (their bodies are streamed); the client's <c>Retry</c>,
    /// <c>BaseAddress</c> and <c>Warmup</c> options do not apply to them. A certificate, trust or connection failure
    /// is answered by YARP with 502 and its <c>IForwarderErrorFeature.Exception</c> is a
    /// <see cref="ClientCertHttp.ClientCertHttpRequestException"/> carrying the diagnosis. Call this method after any
    /// <c>ConfigureHttpClient</c>, which replaces the factory too.
    /// </para>
    /// </remarks>
    public static IReverseProxyBuilder AddClientCertHttpForwarding(this IReverseProxyBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.Replace(ServiceDescriptor.Singleton<IForwarderHttpClientFactory, ClientCertHttpForwarderHttpClientFactory>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IClusterValidator, ClientCertHttpClusterValidator>());
        return builder;
    }
}
