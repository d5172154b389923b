using Akka.Actor;
using Akka.Configuration;
using Zvonim.Web.Hosting;

namespace Zvonim.Bench.Micro;

/// <summary>An actor system for in-process benchmarks, with the server's own HOCON (its log quieted: the
/// benchmarks print tables, and the calls they make log every join and drop).</summary>
public static class BenchActors
{
    public static ActorSystem Create(string name) =>
        ActorSystem.Create(name, ConfigurationFactory.ParseString("akka.loglevel = WARNING")
            .WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(ActorHosting.HoconFile))));
}
