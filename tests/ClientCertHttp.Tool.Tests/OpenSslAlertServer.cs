using System.Diagnostics;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;

namespace ClientCertHttp.Tool.Tests;

/// <summary>
/// A real <c>openssl s_server</c> that verifies the client certificate during the handshake against a root that did
/// not issue it, so it rejects every client certificate with a real TLS alert ("unknown ca"; "certificate required"
/// under TLS 1.3 when none is sent). Kestrel never sends such alerts: it closes the connection instead.
/// </summary>
public sealed class OpenSslAlertServer : IAsyncDisposable
{
    private readonly Process _process;

    private OpenSslAlertServer(Process process, int port)
    {
        _process = process;
        Address = new Uri($"https://localhost:{port}/");
    }

    public Uri Address { get; }

    /// <param name="serverCa">Issues the server's certificate.</param>
    /// <param name="trustedClientRoots">The only client root the server accepts.</param>
    /// <param name="folder">Where the server's PEM files are written.</param>
    /// <param name="protocol">-tls1_2 or -tls1_3.</param>
    public static async Task<OpenSslAlertServer> StartAsync(TestCertificateAuthority serverCa, TestCertificateAuthority trustedClientRoots, string folder, string protocol)
    {
        Directory.CreateDirectory(folder);
        using (var serverCertificate = serverCa.IssueServerCertificate())
        {
            TestCertificateAuthority.WriteCertificatePem(Path.Combine(folder, "server.pem"), serverCertificate);
            TestCertificateAuthority.WritePrivateKeyPem(Path.Combine(folder, "server.key"), serverCertificate);
        }

        TestCertificateAuthority.WriteCertificatePem(Path.Combine(folder, "chain.pem"), serverCa.Intermediate);
        trustedClientRoots.WriteRootPem(Path.Combine(folder, "client-roots.pem"));

        // Port 0: openssl binds a free port and announces it on standard output ("ACCEPT 127.0.0.1:40123") once it listens.
        var process = Process.Start(new ProcessStartInfo(
            "openssl",
            $"s_server -accept 127.0.0.1:0 -cert server.pem -cert_chain chain.pem -key server.key -Verify 1 -verify_return_error -CAfile client-roots.pem {protocol} -www")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("openssl could not be started; these tests need the openssl command-line tool.");
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is { } text && text.StartsWith("ACCEPT ", StringComparison.Ordinal))
            {
                listening.TrySetResult(int.Parse(text[(text.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"openssl s_server exited with code {process.ExitCode} before listening."));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            var port = await listening.Task.WaitAsync(TimeSpan.FromSeconds(10));
            return new OpenSslAlertServer(process, port);
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
