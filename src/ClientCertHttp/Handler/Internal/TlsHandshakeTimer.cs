using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using ClientCertHttp.Diagnostics;

namespace ClientCertHttp.Handler;

/// <summary>
/// Measures the TLS handshakes of one client's connections for <see cref="ClientCertHttpMetrics.TlsHandshakeDuration"/>:
/// the connect callback notes when the TCP connection is established, the plaintext stream filter (which
/// <see cref="SocketsHttpHandler"/> calls once the handshake has completed, before the first byte of HTTP) records the
/// time since. Both run once per connection, never per request.
/// </summary>
/// <remarks>
/// The connect callback does what the handler does without one (a dual-mode socket with Nagle off, connected to the
/// <see cref="System.Net.DnsEndPoint"/>, in a <see cref="NetworkStream"/> that owns it), so errors reach the caller
/// in the same shape. It is installed only on handlers whose connect callback and stream filter nobody else set.
/// </remarks>
internal sealed class TlsHandshakeTimer
{
    // Keyed by the request that opened the connection, which both callbacks are given; weak, so a connection that
    // never completes its handshake leaves nothing behind.
    private static readonly ConditionalWeakTable<HttpRequestMessage, StrongBox<long>> ConnectedAt = [];

    private readonly string _clientName;
    private readonly ClientCertHttpInstruments _instruments;
    private readonly Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> _connect;
    private readonly Func<SocketsHttpPlaintextStreamFilterContext, CancellationToken, ValueTask<Stream>> _filter;

    public TlsHandshakeTimer(string clientName, ClientCertHttpInstruments instruments)
    {
        _clientName = clientName;
        _instruments = instruments;
        _connect = ConnectAsync;
        _filter = Filter;
    }

    /// <summary>Installs the callbacks on a handler that has neither, or finds them already there (a copied handler).</summary>
    public void Attach(SocketsHttpHandler handler)
    {
        if (handler.ConnectCallback is null && handler.PlaintextStreamFilter is null)
        {
            handler.ConnectCallback = _connect;
            handler.PlaintextStreamFilter = _filter;
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        // Through a proxy the endpoint is the proxy's and a CONNECT exchange precedes the handshake: not measured.
        var target = context.InitialRequestMessage.RequestUri;
        if (_instruments.TlsHandshakeDurationEnabled
            && target is { Scheme: "https" }
            && target.Port == context.DnsEndPoint.Port
            && string.Equals(target.IdnHost, context.DnsEndPoint.Host, StringComparison.OrdinalIgnoreCase))
        {
            ConnectedAt.AddOrUpdate(context.InitialRequestMessage, new StrongBox<long>(Stopwatch.GetTimestamp()));
        }

        return new NetworkStream(socket, ownsSocket: true);
    }

    private ValueTask<Stream> Filter(SocketsHttpPlaintextStreamFilterContext context, CancellationToken cancellationToken)
    {
        if (context.PlaintextStream is SslStream tls && ConnectedAt.TryGetValue(context.InitialRequestMessage, out var connectedAt))
        {
            ConnectedAt.Remove(context.InitialRequestMessage);
            _instruments.TlsHandshakeCompleted(_clientName, tls.SslProtocol, Stopwatch.GetElapsedTime(connectedAt.Value));
        }

        return ValueTask.FromResult(context.PlaintextStream);
    }
}
