using System.Data.Common;

namespace Zvonim.Web.Hosting;

/// <summary>Parameterised commands in SQL that SQLite and PostgreSQL both speak (the stores use plain ADO.NET).</summary>
public static class Sql
{
    public static DbCommand Command(DbConnection db, string sql, params (string Name, object Value)[] parameters)
    {
        var command = db.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    /// <summary>Whether the connection is PostgreSQL's (for the few statements whose spelling differs).</summary>
    public static bool IsPostgres(DbConnection db) => db.GetType().Name.StartsWith("Npgsql", StringComparison.Ordinal);
}
