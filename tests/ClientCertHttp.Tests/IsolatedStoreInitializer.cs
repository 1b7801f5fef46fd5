using System.Runtime.CompilerServices;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;

namespace ClientCertHttp.Tests;

internal static class IsolatedStoreInitializer
{
    // Must run before any certificate store (or X509Chain) is touched in this process; see IsolatedUserStore.
#pragma warning disable CA2255 // A module initializer is exactly what is needed here: HOME is read once per process.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => IsolatedUserStore.Initialize();
}
