using System.Net.Security;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Handler;

/// <summary>
/// The primary handler of a client-certificate client: it forwards every request to a <see cref="SocketsHttpHandler"/>
/// that carries the client's current certificate, and moves to a new, identically configured handler when the
/// certificate was reloaded. A running SocketsHttpHandler cannot change its client certificate, and
/// IHttpClientFactory keeps a handler for its whole lifetime, so this is what makes a reload effective at once.
/// </summary>
/// <remarks>
/// The request path costs two volatile reads and a reference comparison, with no allocation and no lock. Replaced
/// handlers go to the source's <see cref="DrainQueue"/>; each holds a reference on its TLS state until it is disposed.
/// </remarks>
internal sealed class RotatingClientCertificateHandler : HttpMessageHandler
{
    private readonly ClientCertificateSource _source;
    private readonly SocketsHttpHandler _template;
    private readonly SslClientAuthenticationOptions _userSslOptions;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Generation _current;
    private bool _disposed;

    /// <param name="source">The client's certificate source.</param>
    /// <param name="handler">The handler the factory built, as the user configured it; it becomes the first generation.</param>
    /// <param name="logger">Logs rotations.</param>
    /// <exception cref="ClientCertificateException">The handler has TLS settings that ClientCertHttp owns, or the certificate cannot be loaded.</exception>
    public RotatingClientCertificateHandler(ClientCertificateSource source, SocketsHttpHandler handler, ILogger logger)
    {
        _source = source;
        _template = handler;
        _userSslOptions = SocketsHttpHandlerSettings.Copy(handler.SslOptions);
        _logger = logger;
        _current = Generation.Create(source, handler);
    }

    /// <summary>Gets the handler new requests go to (for tests and diagnostics).</summary>
    internal SocketsHttpHandler CurrentHandler => Volatile.Read(ref _current).Handler;

    /// <summary>Sends through the current generation: what <see cref="SendAsync"/> does, for a handler that routes to this one.</summary>
    internal Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        CurrentGeneration().Invoker.SendAsync(request, cancellationToken);

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
                    // Replaced generations are the drain queue's; it disposes them on its own clock.
                    _disposed = true;
                    _current.Dispose();
                }
            }
        }

        base.Dispose(disposing);
    }

    private Generation CurrentGeneration()
    {
        var generation = Volatile.Read(ref _current);
        return ReferenceEquals(generation.State, _source.Current) ? generation : Rotate();
    }

    private Generation Rotate()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var previous = _current;
            if (ReferenceEquals(previous.State, _source.Current))
            {
                return previous;
            }

            var handler = SocketsHttpHandlerSettings.Copy(_template, _userSslOptions);
            Generation next;
            try
            {
                next = Generation.Create(_source, handler);
            }
            catch
            {
                handler.Dispose();
                throw;
            }

            Volatile.Write(ref _current, next);
            var drain = _source.Options.Reload.DrainTimeout;
            _source.Drain.Add(previous.Dispose, drain);
            Log.ClientCertificateHandlerRetired(_logger, _source.ClientName, next.State.Thumbprint, drain);
            return next;
        }
    }

    /// <summary>A handler and the TLS state it carries, on which it holds a reference until it is disposed.</summary>
    private sealed class Generation
    {
        private int _disposed;

        private Generation(ClientTlsState state, SocketsHttpHandler handler)
        {
            State = state;
            Handler = handler;
            Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        }

        public ClientTlsState State { get; }

        public SocketsHttpHandler Handler { get; }

        public HttpMessageInvoker Invoker { get; }

        public static Generation Create(ClientCertificateSource source, SocketsHttpHandler handler)
        {
            while (true)
            {
                var state = source.Current;
                if (!state.TryAcquire())
                {
                    // Replaced (and released) between the read and the acquire: the newer state is current.
                    continue;
                }

                try
                {
                    ClientTls.ConfigureTls(source.ClientName, handler, state);
                    source.HandshakeTimer.Attach(handler);
                    return new Generation(state, handler);
                }
                catch
                {
                    state.Release();
                    throw;
                }
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Invoker.Dispose();
                State.Release();
            }
        }
    }
}
