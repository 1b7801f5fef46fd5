using System.Net;
using System.Net.Sockets;

namespace ClientCertHttp.TestUtilities;

/// <summary>
/// A loopback TCP server that answers every TLS ClientHello with one fatal TLS alert record and closes, the way a
/// server that checks client certificates inside the handshake (nginx, OpenSSL's <c>s_server -Verify</c>) rejects
/// one. The client's TLS library parses a real alert record; nothing about it is simulated in the client.
/// </summary>
public sealed class TlsAlertServer : IAsyncDisposable
{
    /// <summary>The alert "handshake failure" (40).</summary>
    public const byte HandshakeFailure = 40;

    /// <summary>The alert "bad certificate" (42).</summary>
    public const byte BadCertificate = 42;

    /// <summary>The alert "unknown CA" (48).</summary>
    public const byte UnknownCa = 48;

    /// <summary>The alert "certificate required" (116, TLS 1.3).</summary>
    public const byte CertificateRequired = 116;

    private readonly TcpListener _listener;
    private readonly byte _alert;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _connections;

    private TlsAlertServer(byte alert)
    {
        _alert = alert;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = AcceptLoopAsync();
    }

    /// <summary>The port the server listens on (127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>The base address, <c>https://127.0.0.1:{port}/</c>.</summary>
    public Uri BaseAddress => new($"https://127.0.0.1:{Port}/");

    /// <summary>How many connections were answered with the alert.</summary>
    public int ConnectionCount => Volatile.Read(ref _connections);

    /// <summary>Starts a server that sends <paramref name="alert"/> (one of the constants, or any RFC 8446 alert number).</summary>
    /// <param name="alert">The alert description number.</param>
    /// <returns>The running server; dispose it to stop.</returns>
    public static TlsAlertServer Start(byte alert) => new(alert);

    /// <summary>Stops listening and waits for the accept loop to end.</summary>
    /// <returns>A task that completes when the server is stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(Socket client)
    {
        using (client)
        {
            try
            {
                // Wait for the ClientHello (its content does not matter), then send: record type 21 (alert),
                // version 3.3, length 2, level 2 (fatal), description.
                var buffer = new byte[4096];
                await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                await client.SendAsync(new byte[] { 21, 3, 3, 0, 2, 2, _alert }, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _connections);
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away, or the server is stopping.
            }
        }
    }
}
