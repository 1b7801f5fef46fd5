using System.Runtime.CompilerServices;

namespace ClientCertHttp.FunctionalTests;

/// <summary>
/// Points HOME at a fresh folder before any test runs: .NET on Linux caches downloaded CRLs under
/// ~/.dotnet/corefx/cryptography/crls and keeps the CurrentUser certificate stores under ~/.dotnet/corefx/cryptography/x509stores,
/// and the tests must neither read the developer's nor leave anything behind in it.
/// </summary>
internal static class IsolatedHome
{
    public static string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"clientcerthttp-home-{Environment.ProcessId}-{Guid.NewGuid():N}");

#pragma warning disable CA2255 // A test assembly, not a library: HOME must change before the first chain build reads it.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        Directory.CreateDirectory(Path);
        Environment.SetEnvironmentVariable("HOME", Path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the folder is under the temp path.
            }
        };
    }
}
