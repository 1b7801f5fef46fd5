using ClientCertHttp.Handler;

namespace ClientCertHttp.Identities;

/// <summary>
/// The primary handler of a per-identity client: a request that names an identity goes to that identity's handler
/// (its own connection pool and certificate); a request that names none goes to the client's own certificate, or
/// fails when the client has none.
/// </summary>
internal sealed class IdentityRoutingHandler : HttpMessageHandler
{
    private readonly ClientCertificateIdentityPool _pool;
    private readonly RotatingClientCertificateHandler? _default;
    private readonly SocketsHttpHandler _unused;

    /// <param name="pool">The client's identities.</param>
    /// <param name="handler">The handler the factory built; the pool copies its settings for every identity.</param>
    /// <param name="createDefault">Creates the handler of the client's own certificate, or <see langword="null"/> when it has none.</param>
    public IdentityRoutingHandler(ClientCertificateIdentityPool pool, SocketsHttpHandler handler, Func<SocketsHttpHandler, RotatingClientCertificateHandler>? createDefault)
    {
        _pool = pool;
        pool.UseTemplate(handler);
        if (createDefault is null)
        {
            _unused = handler;
        }
        else
        {
            _default = createDefault(handler);
            _unused = null!;
        }
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Options.TryGetValue(ClientCertificateIdentityRequestExtensions.IdentityKey, out var identity))
        {
            var lookup = _pool.GetAsync(identity, cancellationToken);
            return lookup.IsCompletedSuccessfully
                ? lookup.Result.Handler.SendCoreAsync(request, cancellationToken)
                : SendAfterLoadAsync(lookup, request, cancellationToken);
        }

        return (_default ?? throw IdentityRequired(_pool.ClientName)).SendCoreAsync(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // The identities' handlers are the pool's: they outlive the factory's handler rotations.
            _default?.Dispose();
            _unused?.Dispose();
        }

        base.Dispose(disposing);
    }

    internal static ClientCertificateException IdentityRequired(string clientName) =>
        new(
            clientName,
            ClientCertificateFailureReason.IdentityRequired,
            $"HTTP client '{clientName}' has identities and no certificate of its own, and the request names no identity, so it would go without a client certificate. Name the identity with request.SetClientCertificateIdentity(…), use IClientCertHttpClientFactory.CreateClient(name, identity), or configure the client's own Certificate for requests without one.");

    private static async Task<HttpResponseMessage> SendAfterLoadAsync(ValueTask<IdentityEntry> lookup, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var entry = await lookup.ConfigureAwait(false);
        return await entry.Handler.SendCoreAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
