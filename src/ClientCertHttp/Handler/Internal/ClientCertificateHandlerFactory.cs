using ClientCertHttp.Certificates;
using ClientCertHttp.DependencyInjection;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Resilience;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Handler;

/// <summary>
/// The factory behind <see cref="IClientCertificateHandlerFactory"/>: the client's rotating primary handler under the
/// reporting step in its forwarding form (one attempt, no retry pipeline).
/// </summary>
internal sealed class ClientCertificateHandlerFactory(
    ClientCertHttpClientRegistry registry,
    ClientCertificateSources sources,
    FailureDiagnoser diagnoser,
    ILoggerFactory loggerFactory) : IClientCertificateHandlerFactory
{
    private readonly ILogger _logger = loggerFactory.CreateLogger(ClientCertHttp.Diagnostics.Log.CategoryName);

    public IReadOnlyCollection<string> ClientNames => registry.Names;

    public HttpMessageHandler CreateHandler(string clientName, SocketsHttpHandler primaryHandler)
    {
        ArgumentNullException.ThrowIfNull(clientName);
        ArgumentNullException.ThrowIfNull(primaryHandler);
        var source = sources.Get(clientName);
        var identities = sources.GetIdentities(clientName);

        // A per-identity client routes each request by the identity it names (set by the caller, for example a
        // proxy's request transform), as its IHttpClientFactory handler does; the identities' connections are the pool's.
        var inner = ClientCertificatePrimaryHandler.Create(source, () => identities, primaryHandler, _logger);
        return new RetryOutcomeHandler(source, identities, diagnoser, _logger, TimeProvider.System, forwarding: true) { InnerHandler = inner };
    }
}
