using ClientCertHttp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Internal;

/// <summary>
/// The primary handler of a client-certificate client: it forwards every request to a <see cref="SocketsHttpHandler"/>
/// that carries the client's current certificate, and moves to a new, identically configured handler when the
/// certificate was reloaded. A running SocketsHttpHandler cannot change its client certificate, and
/// IHttpClientFactory keeps a handler for its whole lifetime, so this is what makes a reload effective at once.
/// </summary>
/// <remarks>
/// The request path costs two volatile reads and a reference comparison, with no allocation and no lock. Handlers of
/// replaced certificates are disposed after the drain timeout, so requests in flight on them can complete.
/// </remarks>
internal sealed class RotatingClientCertificateHandler : HttpMessageHandler
{
    private readonly ClientCertificateEntry _entry;
    private readonly SocketsHttpHandler _template;
    private readonly System.Net.Security.SslClientAuthenticationOptions _userSslOptions;
    private readonly Action<SocketsHttpHandler, ClientTlsState> _apply;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly List<(Generation Generation, ITimer Timer)> _retired = [];
    private Generation _current;
    private bool _disposed;

    /// <param name="entry">The client's certificate entry.</param>
    /// <param name="handler">The configured handler, already given <paramref name="state"/> by <paramref name="apply"/>.</param>
    /// <param name="userSslOptions">A copy of the user's TLS options, taken before ClientCertHttp applied its own.</param>
    /// <param name="state">The state <paramref name="handler"/> carries.</param>
    /// <param name="apply">Gives a new handler a state's certificate and trust settings.</param>
    /// <param name="timeProvider">Schedules the disposal of replaced handlers.</param>
    /// <param name="logger">Logs rotations.</param>
    public RotatingClientCertificateHandler(
        ClientCertificateEntry entry,
        SocketsHttpHandler handler,
        System.Net.Security.SslClientAuthenticationOptions userSslOptions,
        ClientTlsState state,
        Action<SocketsHttpHandler, ClientTlsState> apply,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _entry = entry;
        _template = handler;
        _userSslOptions = userSslOptions;
        _apply = apply;
        _timeProvider = timeProvider;
        _logger = logger;
        _current = new Generation(state, handler);
    }

    /// <summary>Gets the handler new requests go to (for tests and diagnostics).</summary>
    internal SocketsHttpHandler CurrentHandler => Volatile.Read(ref _current).Handler;

    /// <summary>Gets how many replaced handlers are still draining.</summary>
    internal int DrainingHandlerCount
    {
        get
        {
            lock (_lock)
            {
                return _retired.Count;
            }
        }
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        CurrentGeneration().Invoker.SendAsync(request, cancellationToken);

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        CurrentGeneration().Invoker.Send(request, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_lock)
            {
                if (!_disposed)
                {
                    _disposed = true;
                    foreach (var (generation, timer) in _retired)
                    {
                        timer.Dispose();
                        generation.Invoker.Dispose();
                    }

                    _retired.Clear();
                    _current.Invoker.Dispose();
                }
            }
        }

        base.Dispose(disposing);
    }

    private Generation CurrentGeneration()
    {
        var generation = Volatile.Read(ref _current);
        return ReferenceEquals(generation.State, _entry.Current) ? generation : Rotate();
    }

    private Generation Rotate()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var state = _entry.Current;
            var previous = _current;
            if (ReferenceEquals(previous.State, state))
            {
                return previous;
            }

            var handler = SocketsHttpHandlerSettings.Copy(_template, SocketsHttpHandlerSettings.Copy(_userSslOptions));
            _apply(handler, state);
            var next = new Generation(state, handler);
            Volatile.Write(ref _current, next);

            var drain = _entry.Options.Reload.DrainTimeout;
            var timer = _timeProvider.CreateTimer(OnDrainElapsed, previous, drain, Timeout.InfiniteTimeSpan);
            _retired.Add((previous, timer));
            Log.ClientCertificateHandlerRetired(_logger, _entry.ClientName, state.Certificate.Certificate.Thumbprint, drain);
            return next;
        }
    }

    private void OnDrainElapsed(object? retired)
    {
        var generation = (Generation)retired!;
        lock (_lock)
        {
            var index = _retired.FindIndex(r => ReferenceEquals(r.Generation, generation));
            if (index < 0)
            {
                return;
            }

            _retired[index].Timer.Dispose();
            _retired.RemoveAt(index);
        }

        generation.Invoker.Dispose();
    }

    private sealed class Generation(ClientTlsState state, SocketsHttpHandler handler)
    {
        public ClientTlsState State { get; } = state;

        public SocketsHttpHandler Handler { get; } = handler;

        public HttpMessageInvoker Invoker { get; } = new(handler, disposeHandler: true);
    }
}
