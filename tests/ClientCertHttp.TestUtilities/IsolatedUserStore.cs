using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.TestUtilities;

/// <summary>
/// Points the .NET user certificate stores of the test process at a temporary HOME, so store tests use the real
/// <see cref="X509Store"/> without touching the user's own stores.
/// </summary>
/// <remarks>
/// On Linux, .NET keeps the CurrentUser stores under <c>$HOME/.dotnet/corefx/cryptography/x509stores</c> and reads
/// HOME once, on the first store access of the process (including the implicit ones of <see cref="X509Chain"/>). A
/// test assembly therefore calls <see cref="Initialize"/> from a module initializer, before any test code runs; the
/// temporary HOME is deleted when the process exits. Store tests still remove what they add (in <c>finally</c>), so
/// nothing is left behind even when a platform ignores HOME (Windows, macOS: there <see cref="Initialize"/> does
/// nothing and the tests rely on that clean-up alone).
/// </remarks>
public static class IsolatedUserStore
{
    private const string HomePrefix = "clientcerthttp-home-";

    private static readonly Lock Gate = new();

    /// <summary>The temporary HOME, or <see langword="null"/> when not isolated (not Linux, or not initialized).</summary>
    public static string? Home { get; private set; }

    /// <summary>Sets HOME to a new temporary folder (Linux only). Call once, before any certificate store is used.</summary>
    public static void Initialize()
    {
        lock (Gate)
        {
            if (Home is not null || !OperatingSystem.IsLinux())
            {
                return;
            }

            DeleteStaleHomes();
            var home = Directory.CreateTempSubdirectory(HomePrefix).FullName;
            Environment.SetEnvironmentVariable("HOME", home);
            Home = home;
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                try
                {
                    Directory.Delete(home, recursive: true);
                }
                catch (IOException)
                {
                    // Left to the OS temporary-folder clean-up.
                }
                catch (UnauthorizedAccessException)
                {
                    // Left to the OS temporary-folder clean-up.
                }
            };
        }
    }

    /// <summary>
    /// The test host is sometimes killed rather than exited (a cancelled or hung run), so ProcessExit does not always
    /// run: temporary HOMEs left by earlier runs are removed here. Only those older than an hour, so that the HOME
    /// of a test assembly running in parallel is never touched.
    /// </summary>
    private static void DeleteStaleHomes()
    {
        foreach (var stale in new DirectoryInfo(Path.GetTempPath()).EnumerateDirectories(HomePrefix + "*"))
        {
            if (stale.LastWriteTimeUtc < DateTime.UtcNow.AddHours(-1))
            {
                try
                {
                    stale.Delete(recursive: true);
                }
                catch (IOException)
                {
                    // In use or already gone.
                }
                catch (UnauthorizedAccessException)
                {
                    // Another user's folder.
                }
            }
        }
    }

    /// <summary>The folder .NET uses for a CurrentUser store under the isolated HOME (Linux).</summary>
    /// <param name="storeName">The store name, for example <c>My</c>.</param>
    /// <returns>The folder path.</returns>
    public static string StoreFolder(string storeName)
    {
        ArgumentException.ThrowIfNullOrEmpty(storeName);
        return Path.Combine(Home ?? throw new InvalidOperationException("The user store is not isolated."), ".dotnet", "corefx", "cryptography", "x509stores", storeName.ToLowerInvariant());
    }

    /// <summary>
    /// Adds certificates to a CurrentUser store and removes them again on dispose.
    /// </summary>
    /// <param name="storeName">The store name, for example <c>My</c> or <c>CA</c>.</param>
    /// <param name="certificates">The certificates to add (with their private keys, if any).</param>
    /// <returns>A scope whose disposal removes the certificates.</returns>
    public static IDisposable Add(string storeName, params X509Certificate2[] certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        using (var store = new X509Store(storeName, StoreLocation.CurrentUser))
        {
            store.Open(OpenFlags.ReadWrite);
            foreach (var certificate in certificates)
            {
                store.Add(certificate);
            }
        }

        return new Removal(storeName, [.. certificates.Select(c => c.Thumbprint)]);
    }

    private sealed class Removal(string storeName, string[] thumbprints) : IDisposable
    {
        public void Dispose()
        {
            using var store = new X509Store(storeName, StoreLocation.CurrentUser);
            store.Open(OpenFlags.ReadWrite);
            foreach (var certificate in store.Certificates)
            {
                if (thumbprints.Contains(certificate.Thumbprint, StringComparer.OrdinalIgnoreCase))
                {
                    store.Remove(certificate);
                }

                certificate.Dispose();
            }
        }
    }
}
