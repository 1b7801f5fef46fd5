using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Testing;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// The loopback mTLS servers, run in a child process (this program with <c>--serve</c>), so that
/// <c>[MemoryDiagnoser]</c>, which counts every allocation of the benchmark process, sees the client's allocations
/// only. The child mints the run's certificates and writes them to a temporary folder the benchmark reads.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    public const string ServeSwitch = "--serve";
    private static readonly Lazy<ServerProcess> SharedServer = new(() =>
    {
        var server = Start();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        return server;
    });
    private readonly Process _process;
    private readonly TempDirectory _folder;

    private ServerProcess(Process process, TempDirectory folder, int port, int intermediatePort)
    {
        _process = process;
        _folder = folder;
        BaseAddress = new Uri($"https://127.0.0.1:{port}/");
        LocalhostAddress = new Uri($"https://localhost:{port}/");
        IntermediateTrustingAddress = new Uri($"https://127.0.0.1:{intermediatePort}/");
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(RootPath);
        Root = chain[0];
        var intermediates = new X509Certificate2Collection();
        intermediates.ImportFromPemFile(Path.Combine(folder.Path, "intermediate.pem"));
        Intermediate = intermediates[0];
    }

    /// <summary>Gets the address of the server that trusts the client root only (IP literal: no resumption).</summary>
    public Uri BaseAddress { get; }

    /// <summary>Gets the same server by host name (SNI, so TLS sessions resume).</summary>
    public Uri LocalhostAddress { get; }

    /// <summary>Gets a second server that also trusts the client intermediate, so a client sending its leaf alone connects.</summary>
    public Uri IntermediateTrustingAddress { get; }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Intermediate { get; }

    public string RootPath => Path.Combine(_folder.Path, "root.pem");

    /// <summary>
    /// Gets the CPU time the server child has run so far: on Linux the sum of its live threads' run time in
    /// nanoseconds (<c>/proc/PID/task/*/schedstat</c>); <see langword="null"/> elsewhere. Threads that exited are not
    /// counted, so only differences over a short busy span are meaningful.
    /// </summary>
    public TimeSpan? CpuTime
    {
        get
        {
            var tasks = $"/proc/{_process.Id}/task";
            if (!OperatingSystem.IsLinux() || !Directory.Exists(tasks))
            {
                return null;
            }

            long nanoseconds = 0;
            foreach (var task in Directory.EnumerateDirectories(tasks))
            {
                try
                {
                    var text = File.ReadAllText(Path.Combine(task, "schedstat"));
                    nanoseconds += long.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // The thread exited between the listing and the read.
                }
            }

            return TimeSpan.FromTicks(nanoseconds / 100);
        }
    }

    /// <summary>A PFX (leaf, key and intermediate, password <see cref="Clients.Password"/>) of a client certificate.</summary>
    public string PfxPath(ClientKey key, int index = 1) => Path.Combine(_folder.Path, $"client-{key}-{index}.pfx");

    /// <summary>
    /// Gets the run's server, started by the first suite's [GlobalSetup] and stopped when the process exits
    /// (benchmarks run in process, so once per run).
    /// </summary>
    public static ServerProcess Shared => SharedServer.Value;

    public static ServerProcess Start()
    {
        var dll = typeof(ServerProcess).Assembly.Location;
        if (!File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
        {
            throw new InvalidOperationException("The benchmark server runs as a child process of the benchmark's own build output; run the benchmarks with --inProcess.");
        }

        var folder = new TempDirectory();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "exec", dll, ServeSwitch, folder.Path })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("The benchmark server did not start.");
        var ready = process.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(60)) || ready.Result is not { } line || !line.StartsWith("READY ", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            folder.Dispose();
            throw new InvalidOperationException($"The benchmark server did not report ready: '{(ready.IsCompletedSuccessfully ? ready.Result : null)}'.");
        }

        var ports = line.Split(' ');
        return new ServerProcess(process, folder, int.Parse(ports[1], CultureInfo.InvariantCulture), int.Parse(ports[2], CultureInfo.InvariantCulture));
    }

    /// <summary>The child: mints certificates into <paramref name="folder"/>, serves until its standard input closes.</summary>
    public static async Task<int> ServeAsync(string folder)
    {
        using var ca = TestCertificateAuthority.Create("Benchmark");
        ca.WriteRootPem(Path.Combine(folder, "root.pem"));
        TestCertificateAuthority.WriteCertificatePem(Path.Combine(folder, "intermediate.pem"), ca.Intermediate);
        foreach (var key in Enum.GetValues<ClientKey>())
        {
            for (var index = 1; index <= 2; index++)
            {
                using var leaf = ca.IssueClientCertificate($"CN=benchmark-client-{index}", o =>
                {
                    o.KeyAlgorithm = key == ClientKey.Rsa2048 ? TestKeyAlgorithm.Rsa : TestKeyAlgorithm.Ecdsa;
                    o.RsaKeySize = 2048;
                });
                ca.WritePfx(Path.Combine(folder, $"client-{key}-{index}.pfx"), leaf, Clients.Password);
            }
        }

        await using var server = await MtlsTestServer.StartAsync(ca).ConfigureAwait(false);
        await using var intermediateTrusting = await MtlsTestServer.StartAsync(ca, o => o.TrustedClientRoots = [ca.Root, ca.Intermediate]).ConfigureAwait(false);
        Console.WriteLine($"READY {server.Port} {intermediateTrusting.Port}");
        await Console.In.ReadToEndAsync().ConfigureAwait(false);
        return 0;
    }

    public void Dispose()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        Root.Dispose();
        Intermediate.Dispose();
        _folder.Dispose();
    }
}
